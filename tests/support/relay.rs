//! A TCP relay on a port the test holds for its whole life: for services that
//! must know each other's address before either has started (the hub's config
//! names the gateways, a gateway's names the hub). The relay binds first and
//! never lets its port go; once the real service reports where it listens
//! (`--ready-file`), the relay forwards every connection there, TLS included.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Relay {
    pub addr: SocketAddr,
    target: watch::Sender<Option<SocketAddr>>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    /// Binds `127.0.0.1:0`; connections wait until [`Relay::forward_to`].
    pub async fn bind() -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("cannot bind the relay: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("the relay has no address: {e}"));
        let (target, watching) = watch::channel(None);
        let task = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let mut watching = watching.clone();
                tokio::spawn(async move {
                    let Ok(to) = watching.wait_for(Option::is_some).await.map(|t| *t) else {
                        return;
                    };
                    let Some(to) = to else { return };
                    relay(inbound, to).await;
                });
            }
        });
        Relay { addr, target, task }
    }

    /// `http://ADDR` of the relay (what the other services are told).
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.addr)
    }

    /// From now on, connections go to `to`.
    pub fn forward_to(&self, to: SocketAddr) {
        self.target.send_replace(Some(to));
    }
}

async fn relay(mut inbound: TcpStream, to: SocketAddr) {
    // A refused connection closes the inbound one: the caller sees a failed
    // request, as it would without the relay.
    if let Ok(mut outbound) = TcpStream::connect(to).await {
        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}
