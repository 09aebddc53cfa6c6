//! Drills (演练): trainees work scenarios from `knowledge-base/drills/` in the normal desk screens,
//! offline, on a drill database that can never sync. The scenario format lives in
//! [`crate::kb::drills`]; this module evaluates it: [`verify`] checks an answer key against the
//! intake rules, [`score`] scores a trainee's finished case against it.

pub mod score;
pub mod verify;
