//! Stage 3, compile: a checked [`Model`] → a [`Program`] ready to evaluate, with every
//! calendar precomputed so a deadline a year away costs what one an hour away does.

use crate::calendar::WorkingCalendar;
use crate::model::Model;

/// A compiled policy: the model and its calendars' tables.
#[derive(Debug, Clone)]
pub struct Program {
    /// The checked policy.
    pub model: Model,
    /// One compiled calendar per [`Model::calendars`] entry, same index.
    pub calendars: Vec<WorkingCalendar>,
}

/// Compile a checked model.
pub fn compile(model: Model) -> Program {
    let calendars = model.calendars.iter().map(WorkingCalendar::compile).collect();
    Program { model, calendars }
}
