-- Spoke & Chain Cycles: a bicycle repair shop's database (not PicoNext's design).
CREATE TABLE clients (
  client_no   INTEGER PRIMARY KEY,
  mail        TEXT NOT NULL,
  name        TEXT NOT NULL,
  mobile      TEXT,
  joined_on   TEXT NOT NULL,          -- a date, 2025-03-14
  newsletter  INTEGER NOT NULL         -- 0 / 1
);
CREATE TABLE repairs (
  job_no      INTEGER PRIMARY KEY,
  client_no   INTEGER NOT NULL REFERENCES clients (client_no),
  bike        TEXT NOT NULL,
  work        TEXT NOT NULL,
  handed_in   TEXT NOT NULL,           -- a date
  collected   TEXT,                    -- a date, or NULL while the bike is in the shop
  price_eur   REAL
);
CREATE TABLE parts_stock (
  part_no     TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  on_hand     INTEGER NOT NULL
);
INSERT INTO clients VALUES (17, 'ines.weber@example.org', 'Ines Weber', '+49 30 1234567', '2025-03-14', 1);
INSERT INTO clients VALUES (18, 'tom.kraus@example.org', 'Tom Kraus', NULL, '2025-06-02', 0);
INSERT INTO repairs VALUES (501, 17, 'Gazelle city bike', 'New chain and brake pads', '2025-03-14', '2025-03-16', 64.5);
INSERT INTO repairs VALUES (502, 17, 'Gazelle city bike', 'Puncture, rear wheel', '2026-09-30', NULL, NULL);
INSERT INTO repairs VALUES (503, 18, 'Canyon gravel bike', 'Full service', '2025-06-02', '2025-06-05', 129.0);
INSERT INTO parts_stock VALUES ('CH-8S', '8-speed chain', 12);
