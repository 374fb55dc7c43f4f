//! Stage urgency and member state never share words, and the state badges
//! draw their own symbols (no emoji).
mod common;

use common::accounts::{REP_A1, client_as, get, world};

#[tokio::test]
async fn today_labels_stage_urgency_and_member_state_apart() {
    let w = world().await;
    sqlx::query("UPDATE members SET state = 'flame' WHERE id = $1")
        .bind(w.m1)
        .execute(&w.app.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE members SET state = 'red' WHERE id = $1")
        .bind(w.m2)
        .execute(&w.app.pool)
        .await
        .unwrap();
    let rep = client_as(&w.app, REP_A1).await;
    let day = get(&w.app, &rep, "/aujourdhui").await.text().await.unwrap();
    assert!(
        day.contains("Urgence de l&#39;étape en cours")
            || day.contains("Urgence de l'étape en cours")
    );
    assert!(day.contains("État du membre : rouge ou jaune"));
    assert!(!day.contains("État rouge ou jaune"));
    // State badges are their own shape, with a drawn symbol, never an emoji.
    assert!(day.contains("badge state-red state"));
    let file = get(&w.app, &rep, &format!("/membres/{}", w.m1))
        .await
        .text()
        .await
        .unwrap();
    assert!(file.contains("badge state-flame state"));
    assert!(file.contains("class=\"state-icon\""));
    assert!(!file.contains('🔥'));
    assert!(file.contains("État du membre :"));
}
