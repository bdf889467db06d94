//! The production guide's Kubernetes manifests (docs/deploy/kubernetes/hangar.yaml) fit
//! together, and the configuration they carry is one Hangar accepts once the Secret is
//! mounted where the Deployment mounts it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hangar_server::config::Config;
use serde::Deserialize;
use serde_yaml::Value;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn documents() -> Vec<Value> {
    let text =
        std::fs::read_to_string(repository().join("docs/deploy/kubernetes/hangar.yaml")).unwrap();
    serde_yaml::Deserializer::from_str(&text)
        .map(|document| Value::deserialize(document).expect("valid YAML"))
        .collect()
}

fn find<'a>(documents: &'a [Value], kind: &str, name: &str) -> &'a Value {
    documents
        .iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value:?}"))
}

fn list(value: &Value) -> &Vec<Value> {
    value
        .as_sequence()
        .unwrap_or_else(|| panic!("not a list: {value:?}"))
}

fn by_name<'a>(items: &'a Value, name: &str) -> &'a Value {
    list(items)
        .iter()
        .find(|item| item["name"] == name)
        .unwrap_or_else(|| panic!("no item named {name}"))
}

#[test]
fn the_manifests_fit_together_and_carry_a_valid_configuration() {
    let documents = documents();
    for document in &documents {
        assert_eq!(document["metadata"]["namespace"], "hangar", "{document:?}");
    }
    let config_map = find(&documents, "ConfigMap", "hangar-config");
    let secret = find(&documents, "Secret", "hangar-secrets");
    let deployment = find(&documents, "Deployment", "hangar");
    let service = find(&documents, "Service", "hangar");
    let budget = find(&documents, "PodDisruptionBudget", "hangar");
    let ingress = find(&documents, "Ingress", "hangar");
    let secret_data: BTreeMap<String, String> =
        serde_yaml::from_value(secret["stringData"].clone()).unwrap();

    // Selectors pick the Deployment's pods.
    let pod = &deployment["spec"]["template"];
    let labels = &pod["metadata"]["labels"];
    assert_eq!(&deployment["spec"]["selector"]["matchLabels"], labels);
    assert_eq!(&service["spec"]["selector"], labels);
    assert_eq!(&budget["spec"]["selector"]["matchLabels"], labels);
    assert!(deployment["spec"]["replicas"].as_u64().unwrap() > 1);

    // Volumes, mounts and secret keys refer to things that exist.
    let spec = &pod["spec"];
    let volumes = &spec["volumes"];
    let containers: Vec<&Value> = list(&spec["initContainers"])
        .iter()
        .chain(list(&spec["containers"]))
        .collect();
    for container in &containers {
        for mount in list(&container["volumeMounts"]) {
            by_name(volumes, text(&mount["name"]));
        }
        for variable in list(&container["env"]) {
            let reference = &variable["valueFrom"]["secretKeyRef"];
            assert_eq!(reference["name"], "hangar-secrets");
            assert!(secret_data.contains_key(text(&reference["key"])));
        }
        assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    }
    let secret_volume = by_name(volumes, "secrets");
    assert_eq!(secret_volume["secret"]["secretName"], "hangar-secrets");
    let config_volume = by_name(volumes, "config");
    assert_eq!(config_volume["configMap"]["name"], "hangar-config");

    // The server and the migration read the same file, from the ConfigMap's mount.
    let hangar = by_name(&spec["containers"], "hangar");
    let migrate = by_name(&spec["initContainers"], "migrate");
    let args = |c: &Value| -> Vec<String> {
        list(&c["args"])
            .iter()
            .map(|a| text(a).to_string())
            .collect()
    };
    let config_path = "/etc/hangar/hangar.toml";
    assert_eq!(args(hangar), ["serve", "--config", config_path]);
    assert_eq!(args(migrate), ["migrate", "--config", config_path]);
    let mount_of = |container: &Value, volume: &str| -> String {
        text(&by_name(&container["volumeMounts"], volume)["mountPath"]).to_string()
    };
    assert_eq!(
        Path::new(&mount_of(hangar, "config")).join("hangar.toml"),
        Path::new(config_path)
    );
    assert_eq!(mount_of(hangar, "config"), mount_of(migrate, "config"));

    // Probes and the Service reach the container's named port; the Ingress the Service's.
    let port = by_name(&hangar["ports"], "http");
    for probe in ["readinessProbe", "livenessProbe"] {
        assert_eq!(hangar[probe]["httpGet"]["port"], "http");
    }
    assert_eq!(hangar["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(hangar["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(
        by_name(&service["spec"]["ports"], "http")["targetPort"],
        "http"
    );
    let rule = &list(&ingress["spec"]["rules"])[0];
    let backend = &list(&rule["http"]["paths"])[0]["backend"]["service"];
    assert_eq!(backend["name"], "hangar");
    by_name(&service["spec"]["ports"], text(&backend["port"]["name"]));
    let host = text(&rule["host"]);
    assert!(
        list(&list(&ingress["spec"]["tls"])[0]["hosts"])
            .iter()
            .any(|h| h == host)
    );

    // Mount the Secret's files where the Deployment does, take the environment it sets, and
    // load the configuration as `hangar serve` would.
    let secrets_dir = tempfile::tempdir().unwrap();
    for item in list(&secret_volume["secret"]["items"]) {
        let value = &secret_data[text(&item["key"])];
        std::fs::write(secrets_dir.path().join(text(&item["path"])), value).unwrap();
    }
    let toml = text(&config_map["data"]["hangar.toml"]).replace(
        &mount_of(hangar, "secrets"),
        secrets_dir.path().to_str().unwrap(),
    );
    let environment: Vec<(String, String)> = list(&hangar["env"])
        .iter()
        .map(|v| {
            let key = text(&v["valueFrom"]["secretKeyRef"]["key"]);
            (text(&v["name"]).to_string(), secret_data[key].clone())
        })
        .collect();
    let config = Config::from_toml(Path::new(config_path), &toml, environment)
        .unwrap_or_else(|e| panic!("the manifest's configuration is refused: {e}"));
    assert_eq!(
        Some(config.server.listen.port() as u64),
        port["containerPort"].as_u64()
    );
    assert_eq!(
        config.server.public_url.as_str(),
        format!("https://{host}/")
    );
    assert!(
        config.database.url.expose().starts_with("postgres://"),
        "replicas need PostgreSQL"
    );
    assert!(
        config.database.url.expose().contains("CHANGE-ME"),
        "the URL comes from the Secret"
    );
    assert_eq!(config.oidc.client_secret.expose(), "CHANGE-ME");
    // Metrics are served, behind the Secret's token.
    assert_eq!(
        config.metrics.bearer_token.as_ref().map(|t| t.expose()),
        Some(secret_data["metrics-token"].as_str())
    );
    assert!(config.metrics.on_main_listener());
    // A running deploy step can finish before the pod is killed.
    let kill_after = spec["terminationGracePeriodSeconds"].as_u64().unwrap();
    assert!(config.server.shutdown_grace.as_secs() < kill_after);
    // What Hangar writes is on a writable volume (the root filesystem is read-only).
    assert!(config.git.cache_dir.starts_with(mount_of(hangar, "repos")));

    // The image puts the bundle where the configuration looks and runs as the pod's user.
    let containerfile =
        std::fs::read_to_string(repository().join("docs/deploy/Containerfile")).unwrap();
    assert!(containerfile.contains(&format!(
        "COPY target/site {}",
        config.server.site_root.display()
    )));
    assert!(containerfile.contains(&format!(
        "USER {}",
        spec["securityContext"]["runAsUser"].as_u64().unwrap()
    )));
    assert_eq!(config.airflow.len(), 1);
    assert_eq!(
        config.airflow[0].base_url.host_str(),
        Some("airflow-api-server.airflow.svc.cluster.local")
    );
}
