//! Launchers of the real services of the discovery lab.

pub mod dovecot;
pub mod ftp;
pub mod hl7;
pub mod lab;
pub mod ldap;
pub mod mariadb;
pub mod memcached;
pub mod nginx;
pub mod postgres;
pub mod redis;
pub mod samba;
pub mod smtp;
pub mod snmpd;
pub mod sshd;
pub mod storescp;
pub mod telnetd;
pub mod vnc;
pub mod xrdp;
