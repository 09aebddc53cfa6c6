//! Drills (演练): trainees work scenarios from `knowledge-base/drills/` in the normal desk screens,
//! offline, on a drill database that can never sync. The scenario format and its answer-key check
//! live in [`crate::kb::drills`]; this module scores a trainee's finished case against it.

pub mod score;
