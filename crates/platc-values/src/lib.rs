//! Parsers for the small value languages that live inside platform.toml strings.
//!
//! Every parser takes a user string of any size and content, never panics, and on failure
//! returns a [`ValueError`] whose `message` says precisely what is wrong and whose `help`
//! says how to fix it (one sentence each, no trailing period, user input quoted in backticks).
//!
//! | module | what it reads |
//! | --- | --- |
//! | [`quantity`] | Kubernetes CPU and memory/storage quantities (`500m`, `512Mi`) |
//! | [`cron`] | five-field cron schedules as a Kubernetes CronJob accepts them |
//! | [`duration`] | retention periods (`30d`, `2w`, `12h`) |
//! | [`names`] | Kubernetes name rules (DNS labels, subdomains, label values, hosts, paths, env vars) |
//! | [`suggest`] | "did you mean" suggestions |
//! | [`secrets`] | detection of literal credentials in keys and values |

pub mod cron;
pub mod duration;
mod error;
pub mod names;
pub mod quantity;
pub mod secrets;
pub mod suggest;

pub use error::ValueError;
