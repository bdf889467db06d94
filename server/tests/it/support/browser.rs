//! A cookie-keeping HTTP client that walks the sign-in redirects like a browser would, but
//! one hop at a time so tests can stop, look and tamper.

use std::sync::Arc;

use reqwest::Response;
use reqwest::cookie::{CookieStore, Jar};
use url::Url;

pub struct Browser {
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
    pub app_url: String,
}

impl Browser {
    pub fn new(app_url: &str) -> Self {
        Self::trusting(app_url, None)
    }

    /// A browser that also trusts `ca` (a test's private certificate authority).
    pub fn trusting(app_url: &str, ca: Option<reqwest::Certificate>) -> Self {
        Self::at(app_url, ca, None)
    }

    /// A browser that also trusts `ca`, connecting from `address` (another loopback address
    /// is another client to Hangar's per-address limits and audit samples).
    pub fn at(
        app_url: &str,
        ca: Option<reqwest::Certificate>,
        address: Option<std::net::IpAddr>,
    ) -> Self {
        let jar = Arc::new(Jar::default());
        let mut builder = reqwest::Client::builder().local_address(address);
        if let Some(ca) = ca {
            builder = builder.add_root_certificate(ca);
        }
        let client = builder
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            // A hang must fail the test with the URL in the message, not stall the suite.
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap();
        Self {
            client,
            jar,
            app_url: app_url.to_string(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.app_url)
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// A same-origin form POST, as a Hangar page would send it.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.post_form_from(path, form, Some(&self.app_url.clone()))
            .await
    }

    pub async fn post_form_from(
        &self,
        path: &str,
        form: &[(&str, &str)],
        origin: Option<&str>,
    ) -> Response {
        // What a browser sends when it submits a form itself (no JavaScript).
        let accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        let mut request = self
            .client
            .post(self.url(path))
            .header("accept", accept)
            .form(form);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send().await.unwrap()
    }

    /// Calls a server function the way the hydrated page does.
    pub async fn call(&self, function_path: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(function_path))
            .header("origin", &self.app_url)
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// The value of Hangar's session cookie, if the browser holds one.
    pub fn session_cookie(&self) -> Option<String> {
        let header = self.jar.cookies(&Url::parse(&self.app_url).unwrap())?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .find_map(|pair| pair.strip_prefix("hangar=").map(str::to_string))
    }

    /// A browser that holds only this session cookie (e.g. one copied before logout).
    pub fn with_cookie(app_url: &str, cookie: &str) -> Self {
        let browser = Self::new(app_url);
        browser.jar.add_cookie_str(
            &format!("hangar={cookie}; Path=/"),
            &Url::parse(app_url).unwrap(),
        );
        browser
    }

    /// Starts a sign-in as `user` and follows the redirects up to, not including, Hangar's
    /// callback. Returns the callback URL the provider sent the browser to.
    pub async fn sign_in_until_callback(&self, user: &str, return_to: &str) -> String {
        self.until_callback(user, return_to, "").await
    }

    /// Walks `/auth/login?…` (with `extra` parameters) up to Hangar's callback.
    async fn until_callback(&self, user: &str, return_to: &str, extra: &str) -> String {
        let start = format!(
            "/auth/login?return_to={}&login_hint={user}{extra}",
            url::form_urlencoded::byte_serialize(return_to.as_bytes()).collect::<String>()
        );
        let mut next = self.url(&start);
        for _ in 0..10 {
            let response = self.client.get(&next).send().await.unwrap();
            assert!(
                response.status().is_redirection(),
                "expected a redirect at {next}, got {}: {}",
                response.status(),
                response.text().await.unwrap_or_default()
            );
            let location = response.headers()["location"].to_str().unwrap().to_string();
            next = Url::parse(&next)
                .unwrap()
                .join(&location)
                .unwrap()
                .to_string();
            if next.starts_with(&self.url("/auth/callback")) {
                return next;
            }
        }
        panic!("never reached the callback");
    }

    /// Re-authenticates at the provider as `user` (`reauth=1`, as break-glass asks) and
    /// returns Hangar's answer to the callback.
    pub async fn reauthenticate(&self, user: &str, return_to: &str) -> Response {
        let callback = self.until_callback(user, return_to, "&reauth=1").await;
        self.client.get(callback).send().await.unwrap()
    }

    /// Signs in as `user` and returns Hangar's answer to the callback.
    pub async fn sign_in(&self, user: &str) -> Response {
        let callback = self.sign_in_until_callback(user, "/").await;
        self.client.get(callback).send().await.unwrap()
    }
}
