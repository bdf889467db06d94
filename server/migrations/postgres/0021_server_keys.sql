-- Keys Hangar makes for itself, once, and shares between replicas through the database:
-- `sign_in_cookie` encrypts the sign-in in progress (state, nonce, PKCE verifier) that the
-- browser carries to the provider and back (identity/pending.rs), so an anonymous
-- `/auth/login` writes no session row.
CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    secret_hex TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
