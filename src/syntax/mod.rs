//! Stage 1, parse: text → [`ast::File`]. Pest stays inside this module.

pub mod ast;
mod parser;

pub(crate) use parser::{layout_tokens, ItemKind, LayoutToken, LineStart, StatementKind, TokenKind};
pub use parser::{parse, parse_assignments, parse_expression};
