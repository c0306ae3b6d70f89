//! A bounded fuzz run of every JSON endpoint from the OpenAPI document (schemathesis, PyPI):
//! whatever it sends, nothing answers 5xx.

use std::process::Command;

use crate::helpers::spawn_with;

#[tokio::test]
async fn fuzzing_every_endpoint_from_the_openapi_document_finds_no_server_error()
-> anyhow::Result<()> {
    let app = spawn_with(&["--hold-rate-limit", "0", "--login-rate-limit", "0"]).await;
    let schemathesis = testkit::tools::venv_program("schemathesis", "schemathesis")?;
    let document = app.get("/openapi.json").await?;
    assert_eq!(document.status, 200);
    assert!(
        document.json["paths"]
            .as_object()
            .is_some_and(|p| p.len() >= 25),
        "every route is documented"
    );

    let out = tokio::task::spawn_blocking({
        let url = format!("{}/openapi.json", app.base("gateway"));
        let header = format!("Authorization: Bearer {}", app.admin_token());
        move || {
            Command::new(schemathesis)
                .args([
                    "run",
                    &url,
                    "--checks",
                    "not_a_server_error",
                    "--max-examples",
                    "25",
                    "--max-time",
                    "90",
                ])
                .args(["--generation-deterministic", "--header", &header])
                .env("NO_COLOR", "1")
                .output()
        }
    })
    .await??;

    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found failures:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("passed"), "{report}");
    assert!(
        !app.log().contains("panicked"),
        "the server panicked:\n{}",
        app.log()
    );
    Ok(())
}
