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
    // Hangar needs no Kubernetes role: the pod carries no service-account token.
    assert_eq!(spec["automountServiceAccountToken"], Value::Bool(false));
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

    // The image: what the manifest and the configuration expect of it.
    let recipe = Recipe::read();
    assert_eq!(
        recipe.runtime("USER"),
        vec![
            spec["securityContext"]["runAsUser"]
                .as_u64()
                .unwrap()
                .to_string()
        ],
        "the image runs as the pod's user"
    );
    assert_eq!(
        recipe.runtime("EXPOSE"),
        vec![port["containerPort"].as_u64().unwrap().to_string()],
        "the image exposes the port the probes and the Service use"
    );
    // The probes ask for routes the server has, publicly (a probe carries no session).
    let routes = hangar_server::http::inventory();
    for probe in ["readinessProbe", "livenessProbe"] {
        let path = text(&hangar[probe]["httpGet"]["path"]);
        assert!(
            routes.iter().any(|r| r.path == path
                && r.method == axum::http::Method::GET
                && r.access == hangar_app::models::Access::Public),
            "{probe} asks for {path}, which is no public route"
        );
    }
    let binary = "/usr/local/bin/hangar";
    assert!(recipe.runtime_copies(binary), "the binary goes to {binary}");
    assert!(
        recipe.runtime_copies(&config.server.site_root.display().to_string()),
        "the bundle goes where site_root looks"
    );
    // tini as PID 1 (signals on, children reaped), then hangar; its default command is the
    // manifest's.
    assert_eq!(
        recipe.exec_form("ENTRYPOINT"),
        ["/usr/bin/tini", "--", binary]
    );
    assert!(
        recipe.runtime("RUN").join(" ").contains(" tini"),
        "tini is installed"
    );
    assert_eq!(recipe.exec_form("CMD"), args(hangar));
    // Every writable volume the pod mounts exists in the image and belongs to its user
    // (the first start without a volume works too); /tmp is the system's.
    let writable: Vec<String> = list(volumes)
        .iter()
        .filter(|v| v.get("emptyDir").is_some())
        .map(|v| mount_of(hangar, text(&v["name"])))
        .filter(|path| path != "/tmp")
        .collect();
    let created = recipe.runtime("RUN").join(" ");
    for path in &writable {
        assert!(
            created.contains(&format!(
                "install -d -o 10001 -g 10001 /var/lib/hangar {path}"
            )),
            "{path} is not created for the user in the image"
        );
    }
    // The build stage uses the toolchain Cargo.toml pins, on the runtime's Debian release
    // (the binary links its C library), and builds the way a workstation does.
    let cargo = std::fs::read_to_string(repository().join("Cargo.toml")).unwrap();
    let rust_version = cargo
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .unwrap()
        .trim_matches('"');
    let build_from = &recipe.build("FROM")[0];
    assert!(
        build_from.starts_with(&format!("docker.io/library/rust:{rust_version}-bookworm ")),
        "{build_from}"
    );
    assert_eq!(
        recipe.runtime("FROM"),
        ["docker.io/library/debian:bookworm-slim"]
    );
    assert_eq!(recipe.build("RUN").last().unwrap(), "make build");
    // OCI labels.
    let labels = recipe.runtime("LABEL").join(" ");
    for label in [
        "org.opencontainers.image.title",
        "org.opencontainers.image.version",
        "org.opencontainers.image.licenses=\"Apache-2.0\"",
        "org.opencontainers.image.source",
    ] {
        assert!(labels.contains(label), "label {label} missing: {labels}");
    }
    // The build context leaves out what was built on the host.
    let ignored =
        std::fs::read_to_string(repository().join("docs/deploy/Containerfile.dockerignore"))
            .unwrap();
    assert!(ignored.lines().any(|l| l == "target/"));
    assert_eq!(config.airflow.len(), 1);
    assert_eq!(
        config.airflow[0].base_url.host_str(),
        Some("airflow-api-server.airflow.svc.cluster.local")
    );
}

/// docs/deploy/Containerfile as instructions (continuation lines joined), per stage.
struct Recipe {
    build: Vec<(String, String)>,
    runtime: Vec<(String, String)>,
}

impl Recipe {
    fn read() -> Self {
        let text = std::fs::read_to_string(repository().join("docs/deploy/Containerfile")).unwrap();
        let mut instructions: Vec<String> = Vec::new();
        let mut continued = false;
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (body, continues) = match line.strip_suffix('\\') {
                Some(body) => (body.trim(), true),
                None => (line, false),
            };
            if continued {
                let last = instructions.last_mut().unwrap();
                last.push(' ');
                last.push_str(body);
            } else {
                instructions.push(body.to_string());
            }
            continued = continues;
        }
        let split: Vec<(String, String)> = instructions
            .iter()
            .map(|i| {
                let (word, rest) = i.split_once(' ').unwrap();
                (word.to_string(), rest.to_string())
            })
            .collect();
        let second = split
            .iter()
            .enumerate()
            .filter(|(_, (word, _))| word == "FROM")
            .map(|(n, _)| n)
            .nth(1)
            .expect("a build stage and a runtime stage");
        Self {
            build: split[..second].to_vec(),
            runtime: split[second..].to_vec(),
        }
    }

    fn of(stage: &[(String, String)], word: &str) -> Vec<String> {
        stage
            .iter()
            .filter(|(w, _)| w == word)
            .map(|(_, rest)| rest.clone())
            .collect()
    }

    fn build(&self, word: &str) -> Vec<String> {
        Self::of(&self.build, word)
    }

    fn runtime(&self, word: &str) -> Vec<String> {
        Self::of(&self.runtime, word)
    }

    /// Whether the runtime stage copies something from the build stage to `path`.
    fn runtime_copies(&self, path: &str) -> bool {
        self.runtime("COPY")
            .iter()
            .any(|c| c.starts_with("--from=build ") && c.ends_with(&format!(" {path}")))
    }

    /// An instruction in exec form (`["a", "b"]`) of the runtime stage.
    fn exec_form(&self, word: &str) -> Vec<String> {
        let rest = self.runtime(word).pop().unwrap_or_default();
        serde_json::from_str(&rest).unwrap_or_else(|_| panic!("{word} is not in exec form: {rest}"))
    }
}
