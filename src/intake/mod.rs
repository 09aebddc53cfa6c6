//! Intake at the combined window: the decision rules, and (later) the case model, validators and
//! notices. Everything here is pure: no terminal, clock or database inside.

pub mod case;
pub mod rules;
pub mod validate;

pub use rules::{Application, CenterLevel, Decision, MaterialState, decide};
