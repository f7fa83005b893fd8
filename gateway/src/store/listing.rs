//! Listing messages for operators: filters, pages and their cursors.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use uuid::Uuid;

use super::rows::{DeliveryRow, MessageRow};
use iarms_adapters::MessageKind;

use super::{DeliveryState, MessageView, StoreError};

/// The largest page [`Store::list_messages`](super::Store::list_messages) returns.
pub const MAX_PAGE: u32 = 1000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageFilter {
    /// Messages with at least one delivery in this state.
    pub state: Option<DeliveryState>,
    pub kind: Option<MessageKind>,
    pub partner: Option<String>,
}

/// Where a page of [`Store::list_messages`](super::Store::list_messages) stopped; opaque to callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(pub(crate) i64);

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Cursor {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Cursor, StoreError> {
        s.parse::<i64>()
            .ok()
            .filter(|seq| *seq > 0)
            .map(Cursor)
            .ok_or_else(|| StoreError::Invalid(format!("`{s}` is not a cursor")))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessagePage {
    pub items: Vec<MessageView>,
    /// Whether more messages match than this page holds (then `next` is set).
    pub truncated: bool,
    /// Present when more messages may follow.
    #[serde(serialize_with = "serialize_cursor")]
    pub next: Option<Cursor>,
}

fn serialize_cursor<S: serde::Serializer>(
    cursor: &Option<Cursor>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match cursor {
        Some(c) => s.serialize_some(&c.to_string()),
        None => s.serialize_none(),
    }
}

/// Groups the deliveries of joined rows under their messages, keeping message order.
pub(crate) fn views(
    messages: Vec<MessageRow>,
    deliveries: Vec<DeliveryRow>,
) -> Result<Vec<MessageView>, StoreError> {
    let mut views = messages
        .into_iter()
        .map(|row| {
            Ok(MessageView {
                message: row.into_stored()?,
                deliveries: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let index: HashMap<Uuid, usize> = views
        .iter()
        .enumerate()
        .map(|(i, v)| (v.message.message_id, i))
        .collect();
    for row in deliveries {
        let delivery = row.into_delivery()?;
        if let Some(view) = index
            .get(&delivery.message_id)
            .and_then(|&i| views.get_mut(i))
        {
            view.deliveries.push(delivery);
        }
    }
    Ok(views)
}
