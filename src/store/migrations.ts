/**
 * Ordered schema migrations; `PRAGMA user_version` counts how many ran. Append only, never edit a
 * released entry. Every table is STRICT so a wrong type is an error, not a silent coercion.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;

  -- Every imported record of an entity that has a schema. Secret fields are NOT in data: see secrets.
  CREATE TABLE records (
    company TEXT NOT NULL,
    entity TEXT NOT NULL,          -- schema id, e.g. WebApplication
    natural_key TEXT NOT NULL,     -- JSON array of the key field values
    data TEXT NOT NULL,            -- JSON object of non-secret fields
    last_job INTEGER,              -- import job that last wrote or confirmed it (duplicate-key detection)
    updated_at TEXT NOT NULL,
    PRIMARY KEY (company, entity, natural_key)
  ) STRICT, WITHOUT ROWID;

  -- Entities mtdvat has no schema for: kept as they came, by entity name and record number.
  CREATE TABLE raw_records (
    company TEXT NOT NULL,
    entity TEXT NOT NULL,          -- the manifest's EntityName
    record_no INTEGER NOT NULL,
    data TEXT NOT NULL,
    last_job INTEGER,
    PRIMARY KEY (company, entity, record_no)
  ) STRICT, WITHOUT ROWID;

  -- Encrypted secret fields (XChaCha20-Poly1305; associated data binds table, record key and field).
  CREATE TABLE secrets (
    company TEXT NOT NULL,
    entity TEXT NOT NULL,
    natural_key TEXT NOT NULL,
    field TEXT NOT NULL,
    key_id TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (company, entity, natural_key, field)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE import_jobs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    company TEXT NOT NULL,
    package_name TEXT NOT NULL,
    package_sha256 TEXT,
    status TEXT NOT NULL,          -- Succeeded | Failed | Executing
    dry_run INTEGER NOT NULL DEFAULT 0,
    entities TEXT NOT NULL DEFAULT '[]',
    errors TEXT NOT NULL DEFAULT '[]'
  ) STRICT;

  -- OAuth state per web application. Tokens and the PKCE verifier are ciphertexts.
  CREATE TABLE oauth_tokens (
    company TEXT NOT NULL,
    app TEXT NOT NULL,
    key_id TEXT NOT NULL,
    access_token BLOB NOT NULL,
    refresh_token BLOB NOT NULL,
    access_expires_at TEXT NOT NULL,
    scope TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    refreshed_at TEXT,
    first_vrn TEXT,
    PRIMARY KEY (company, app)
  ) STRICT;

  CREATE TABLE oauth_pending (
    company TEXT NOT NULL,
    app TEXT NOT NULL,
    state TEXT NOT NULL,
    key_id TEXT NOT NULL,
    code_verifier BLOB NOT NULL,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    PRIMARY KEY (company, app)
  ) STRICT;

  CREATE TABLE consents (
    kind TEXT PRIMARY KEY,         -- e.g. hmrc-api, fraud-headers
    granted_by TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
  ) STRICT;

  -- Auth events and HMRC requests/responses, secrets redacted before they get here.
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    category TEXT NOT NULL,        -- auth | hmrc | keys
    company TEXT,
    app TEXT,
    event TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'
  ) STRICT;

  CREATE TABLE vat_receipts (
    company TEXT NOT NULL,
    app TEXT NOT NULL,
    vrn TEXT NOT NULL,
    period_key TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    status TEXT NOT NULL,          -- sending | filed | failed | unknown
    body_sha256 TEXT NOT NULL,
    processing_date TEXT,
    form_bundle_number TEXT,
    charge_ref_number TEXT,
    payment_indicator TEXT,
    correlation_id TEXT,
    receipt_id TEXT,
    PRIMARY KEY (company, vrn, period_key)
  ) STRICT;
  `,
  // Which process runs an import: a job left "Executing" by a killed process is shown as Interrupted.
  `ALTER TABLE import_jobs ADD COLUMN pid INTEGER;`,
  // Record number in the file that last wrote each record, so a reference error can name it.
  `ALTER TABLE records ADD COLUMN last_record INTEGER;`,
  // HMRC's 3 requests per second per application, shared by every process using this store.
  `CREATE TABLE rate_slots (
    app_key TEXT NOT NULL,
    at_ms INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX rate_slots_by_app ON rate_slots (app_key, at_ms);`,
];
