//! Costing: rates and pay turn allocated time into charges (what payers owe) and pay shares (what
//! the provider spends), per person, exactly (docs/rules.md C1–C5, K1–K2).

pub mod engine;
pub mod lines;
pub mod one_off;
pub mod pay;
pub mod payers;
pub mod rate_card;

pub use engine::{
    AllocationRow, Charge, CostedShift, EngineError, RatingContext, WorkerTerms, cost_shift,
};
pub use lines::{ChargeKey, ChargeLine, group_lines, line_amount};
pub use one_off::price_one_off;
pub use pay::{Enhancement, PayRules, SleepInAllowance};
pub use payers::{PayerShare, divide as divide_between_payers};
pub use rate_card::{RateCard, RateChoice, RateEntry};
