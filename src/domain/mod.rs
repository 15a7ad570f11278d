//! Domain vocabulary: ids, money, instants, the reference records and the pipeline's steps every
//! layer shares. No I/O.

pub mod access;
pub mod band;
pub mod ids;
pub mod import;
pub mod money;
pub mod reference;
pub mod shift;
pub mod step;
pub mod text;
pub mod time;

pub use access::{ExtraCostCentres, Principal, Reach, Role, Scope};
pub use band::Band;
pub use ids::{CostCentreId, PayerId, PersonId, ServiceCode, ShiftRef, WorkerId};
pub use import::{ImportOutcome, ImportStatus};
pub use money::{Pence, Rate};
pub use reference::{
    Arrangement, ArrangementKind, DocumentFormat, PayElement, PayerKind, Person, Service, Unit,
    Worker,
};
pub use shift::ShiftStatus;
pub use step::{Step, StepReport, StepTotals};
pub use time::{Interval, LocalZone};
