//! Consumers' records of handled messages, on the backend the tests run on (`TEST_DATABASE`).

use kernel::MessageId;

#[tokio::test]
async fn a_batch_is_marked_handled_once_per_message_and_consumer() -> anyhow::Result<()> {
    let outbox = testkit::TestDatabase::open().await?;
    let db = &outbox.db;
    let (a, b, c) = (MessageId::new(), MessageId::new(), MessageId::new());

    let mut tx = db.begin().await?;
    assert!(storage::mark_processed(tx.conn(), "tickets", a).await?);
    // `a` was handled before; `b` comes twice in the batch (a redelivery): its second copy is
    // not to be applied again.
    let fresh = storage::mark_all_processed(tx.conn(), "tickets", &[a, b, c, b]).await?;
    assert_eq!(fresh, [false, true, true, false]);
    let other = storage::mark_all_processed(tx.conn(), "mail", &[a, c]).await?;
    assert_eq!(other, [true, true], "another consumer has handled neither");
    tx.commit().await?;

    let mut tx = db.begin().await?;
    let again = storage::mark_all_processed(tx.conn(), "tickets", &[c, b, a]).await?;
    assert_eq!(again, [false, false, false], "committed marks last");
    tx.commit().await?;
    db.close().await;
    Ok(())
}
