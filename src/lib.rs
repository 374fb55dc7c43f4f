//! Renouvo: the renewal-tracking intranet.
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod password;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod web;
