//! Typed indices into the model's tables: a rule id cannot be used where an action id is
//! meant, and no index is ever truncated to fit.

/// A typed index into one of the model's tables.
pub trait Id: Copy {
    /// The id of the `index`th entry; `None` past the 65,536 entries a table may hold.
    fn new(index: usize) -> Option<Self>;
    /// The entry's position in its table.
    fn index(self) -> usize;
}

/// The most entries of one kind a policy may declare: ids are 16 bits wide.
pub const MAX_ENTRIES: usize = 1 << 16;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u16);

        impl Id for $name {
            fn new(index: usize) -> Option<Self> {
                u16::try_from(index).ok().map($name)
            }

            fn index(self) -> usize {
                usize::from(self.0)
            }
        }
    )*};
}

ids! {
    /// A ticket field, and the slot its value is read into.
    FieldId;
    /// A `let`.
    LetId;
    /// A rule, in file order.
    RuleId;
    /// An exemption, in file order.
    ExemptionId;
    /// A grade: 0 is the most severe.
    GradeId;
    /// A role routes name.
    RoleId;
    /// An action.
    ActionId;
    /// A deadline's name.
    DeadlineId;
    /// A computed value's name.
    ValueId;
    /// An enum type.
    EnumId;
    /// A calendar.
    CalendarId;
    /// A named window of a calendar.
    WindowId;
}

/// Iterate the ids of a table of `len` entries (which the checker keeps within [`MAX_ENTRIES`]).
pub fn every<I: Id>(len: usize) -> impl Iterator<Item = I> {
    (0..len).map_while(I::new)
}
