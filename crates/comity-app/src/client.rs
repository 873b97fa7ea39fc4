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

    /// The network the client's address stands for: see [`network`].
    pub fn network(&self) -> IpAddr {
        network(self.ip)
    }
}

/// The network one client is counted as, for limits keyed by client: an IPv4 address (an
/// IPv4-mapped IPv6 one as the IPv4 it maps), or the /64 of an IPv6 address. One
/// subscriber usually holds a whole IPv6 /64 (RFC 6177 §3; RFC 7421), so counting its
/// addresses one by one would give a guesser 2^64 fresh starts.
pub fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(std::net::Ipv6Addr::from(prefix))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_counted_as_its_ipv4_address_or_its_ipv6_64() {
        let check = |given: &str, counted: &str| {
            assert_eq!(network(given.parse().unwrap()), counted.parse::<IpAddr>().unwrap(), "{given}");
        };
        check("192.0.2.7", "192.0.2.7");
        check("::ffff:192.0.2.7", "192.0.2.7");
        check("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::");
        check("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::");
        check("::1", "::");
    }
}
