//! Intake at the combined window: the case model, decision rules, validators, calls
//! and notices. Everything here is pure: no terminal, clock or database inside.

pub mod agency;
pub mod approval;
pub mod bundle;
pub mod call;
pub mod case;
pub mod notice;
pub mod query_code;
pub mod region;
pub mod rules;
#[cfg(test)]
mod situation_tests;
pub mod supplement;
pub mod validate;

pub use rules::{Application, CenterLevel, Decision, MaterialState, decide};
