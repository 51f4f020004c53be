//! The memory store passes the port contract suite.

use std::sync::Arc;

use supportdesk_app::testkit::ContractStore;
use supportdesk_store_memory::MemoryStore;

async fn fresh_store() -> Option<ContractStore<MemoryStore>> {
    Some(ContractStore::new(Arc::new(MemoryStore::new())))
}

supportdesk_app::store_contract_tests!(fresh_store);
