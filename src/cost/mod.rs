//! Costing: rates and pay turn allocated time into charges (what payers owe) and pay shares (what
//! the provider spends), per person, exactly (docs/rules.md C1–C5, K1–K2). Also pure: how an
//! import settles date-effective entries, and which gaps in reference data leave money missing.

pub mod dated;
pub mod engine;
pub mod gaps;
pub mod lines;
pub mod one_off;
pub mod pay;
pub mod payers;
pub mod rate_card;

pub use dated::{Adjustment, Conflict, DatedEntry, settle};
pub use engine::{
    AllocationRow, Charge, CostedShift, EngineError, RatingContext, WorkerTerms, cost_shift,
};
pub use gaps::{Gap, LedgerFacts, UnpaidTime, UnpricedTime, reference_gaps};
pub use lines::{ChargeKey, ChargeLine, group_lines, line_amount};
pub use one_off::price_one_off;
pub use pay::{BaseRate, BaseRates, Enhancement, PayRules, SleepInAllowance};
pub use payers::{PayerShare, divide as divide_between_payers};
pub use rate_card::{RateCard, RateChoice, RateEntry, card_payer};
