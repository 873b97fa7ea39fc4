//! The client an attempt to prove something comes from: a signed submission, a login, a
//! one-time link. Every refusal is told to [`Client::refused`], so that the transport can
//! count failures per client and block one that keeps failing, without the use cases
//! knowing how.

use std::net::IpAddr;

/// Told of each refusal: its stable code and, for the server log, what was refused.
pub type OnRefusal<'a> = &'a (dyn Fn(&str, &str) + Send + Sync);

/// Where an attempt comes from, and who is told of its refusals.
#[derive(Clone, Copy)]
pub struct Client<'a> {
    pub ip: IpAddr,
    pub on_refusal: OnRefusal<'a>,
}

impl std::fmt::Debug for Client<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("ip", &self.ip).finish_non_exhaustive()
    }
}

impl<'a> Client<'a> {
    pub fn new(ip: IpAddr, on_refusal: OnRefusal<'a>) -> Self {
        Client { ip, on_refusal }
    }

    /// A client whose refusals nobody counts: the command line and the demo, on the
    /// operator's own machine.
    pub fn local() -> Client<'static> {
        Client { ip: IpAddr::from([127, 0, 0, 1]), on_refusal: &|_, _| {} }
    }

    pub(crate) fn refused(&self, code: &str, detail: &str) {
        (self.on_refusal)(code, detail);
    }
}
