//! Delivery: the last stage of the data flow. Email leaves through the outbox (`email`); Bacs
//! files and payroll exports will sit beside it.

pub mod email;
