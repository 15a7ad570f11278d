//! Delivery: the last stage of the data flow. Email leaves through the outbox (`email`), laid
//! out as MIME with its HTML alternative and attachments (`mime`); Bacs files and payroll
//! exports will sit beside it.

pub mod email;
pub mod mime;
