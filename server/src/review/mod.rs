//! The review gate's own rules, apart from the machinery that carries them out: who a
//! commit's people are (`commit.rs`: commit ids, e-mail addresses as compared), and what a
//! deploy request may do next (`policy.rs`: authorship, reviewers, approvals, refusals).
//! Pure: no database, no git, no clock. The deploy engine applies them, the configuration
//! and the people directory name their types, and none of those is needed here — which
//! keeps this room below all three (it was inside the deploy room, and the configuration's
//! and the directory's imports of it closed a circle through half the server).

pub mod commit;
pub mod policy;
