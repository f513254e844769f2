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
  // Electronic messages at runtime (D365 "Electronic messages"): messages, their additional field
  // values, message items, the action log and attachments, and the Message / Message item number sequences.
  `CREATE TABLE em_sequences (
    company TEXT NOT NULL,
    sequence TEXT NOT NULL,        -- Message | Message item
    next INTEGER NOT NULL,
    PRIMARY KEY (company, sequence)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE em_messages (
    company TEXT NOT NULL,
    message INTEGER NOT NULL,      -- number from the "Message" sequence
    processing TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    from_date TEXT,
    to_date TEXT,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    run_pid INTEGER,               -- the process running an action on it right now
    run_started_at TEXT,
    PRIMARY KEY (company, message)
  ) STRICT;
  CREATE INDEX em_messages_by_processing ON em_messages (company, processing, status);

  -- Message additional field values (periodKey is one of them, a Hidden field).
  CREATE TABLE em_message_fields (
    company TEXT NOT NULL,
    message INTEGER NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (company, message, field),
    FOREIGN KEY (company, message) REFERENCES em_messages (company, message) ON DELETE CASCADE
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE em_items (
    company TEXT NOT NULL,
    item INTEGER NOT NULL,         -- number from the "Message item" sequence
    message INTEGER NOT NULL,
    item_type TEXT NOT NULL,
    status TEXT NOT NULL,
    item_date TEXT,
    document TEXT NOT NULL DEFAULT '',
    account TEXT NOT NULL DEFAULT '',
    boxes TEXT NOT NULL DEFAULT '{}',   -- JSON object: HMRC box field -> exact decimal text
    created_at TEXT NOT NULL,
    PRIMARY KEY (company, item),
    FOREIGN KEY (company, message) REFERENCES em_messages (company, message) ON DELETE CASCADE
  ) STRICT;
  CREATE INDEX em_items_by_message ON em_items (company, message);

  -- One row per action run (MessagesLogs in D365's OData: message, action, status from, status to).
  CREATE TABLE em_log (
    id INTEGER PRIMARY KEY,
    company TEXT NOT NULL,
    message INTEGER NOT NULL,
    action TEXT NOT NULL,
    status_from TEXT NOT NULL,
    status_to TEXT NOT NULL,
    response_type TEXT NOT NULL,   -- Successfully executed | Business error | Technical error | User defined | Cancel
    user_name TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT '', -- HMRC's message or what the action did
    items TEXT NOT NULL DEFAULT '[]',  -- JSON array of the message item numbers the action changed
    FOREIGN KEY (company, message) REFERENCES em_messages (company, message) ON DELETE CASCADE
  ) STRICT;
  CREATE INDEX em_log_by_message ON em_log (company, message, id);

  -- Files generated or received, as they were sent and received.
  CREATE TABLE em_attachments (
    id INTEGER PRIMARY KEY,
    company TEXT NOT NULL,
    message INTEGER NOT NULL,
    log_id INTEGER REFERENCES em_log (id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    content BLOB NOT NULL,
    created_at TEXT NOT NULL,
    FOREIGN KEY (company, message) REFERENCES em_messages (company, message) ON DELETE CASCADE
  ) STRICT;
  CREATE INDEX em_attachments_by_message ON em_attachments (company, message, id);`,
  // Natural keys compared as D365 (SQL Server) compares them: case-insensitive, trailing spaces
  // ignored, after NFC (lib/natural-key.ts; mtdvat_fold_key is registered on every connection by
  // store/db.ts). A store that already holds look-alikes keeps them all: the earliest gets the folded
  // key, the others none (NULL, which the unique index allows), and `verify` reports them.
  `ALTER TABLE records ADD COLUMN folded_key TEXT;
  UPDATE records SET folded_key = mtdvat_fold_key(natural_key);
  UPDATE records SET folded_key = NULL
  WHERE (company, entity, natural_key) IN (
    SELECT company, entity, natural_key FROM (
      SELECT company, entity, natural_key,
        ROW_NUMBER() OVER (PARTITION BY company, entity, folded_key ORDER BY updated_at, natural_key) AS n
      FROM records
    ) WHERE n > 1
  );
  CREATE UNIQUE INDEX records_by_folded_key ON records (company, entity, folded_key);`,
  // Credentials and tokens are bound to the origin (scheme, host, port) they were entered or obtained
  // for: they are sent nowhere else. NULL (stored by an older release) means the application's base URL
  // at the time of the next check. revoked_at: HMRC refused the grant (invalid_grant); the tokens are dead.
  `ALTER TABLE secrets ADD COLUMN origin TEXT;
  ALTER TABLE oauth_tokens ADD COLUMN origin TEXT;
  ALTER TABLE oauth_tokens ADD COLUMN revoked_at TEXT;`,
  // Items collected from VAT lines keep the line's description.
  `ALTER TABLE em_items ADD COLUMN description TEXT NOT NULL DEFAULT '';`,
];
