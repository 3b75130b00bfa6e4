-- Accounts of the demo fleet (a critical table: the integrity gate guards its row count).
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  name VARCHAR NOT NULL UNIQUE,
  created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
INSERT INTO accounts (id, name) VALUES (1, 'acme'), (2, 'globex'), (3, 'initech');
