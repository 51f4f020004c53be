//! The tables as the bench writes and reads them: the store's own Diesel schema, which
//! mirrors `migrations/{sqlite,postgres}`, so seeding fails to compile when a table changes.

pub use supportdesk_store_diesel::schema::*;
