-- duban on PostgreSQL: the database, its owner and the three group roles (docs/deployment.md).
--
-- Run once, as a superuser, with psql:
--
--     psql -U postgres -v db=duban -v owner=duban_owner -f config/postgres/setup.sql
--
-- Then, as the owner (peer authentication for the OS account that runs duban's timer, see
-- config/postgres/pg_hba.conf.example), `duban init` migrates the database (migration 0007 adds the grants,
-- row-level security and the append-only audit journal) and registers the owner as the first coordinator.
-- People are added afterwards with `duban user add` (one login role each).
--
-- Safe to run again: every step checks first.

\set ON_ERROR_STOP on

-- Group roles: fixed, cluster-wide names. Privileges come through them; which rows a login may touch is
-- decided by the database's own app_user table, so the same groups serve several duban databases.
SELECT 'CREATE ROLE duban_coordinator NOLOGIN'
    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'duban_coordinator') \gexec
SELECT 'CREATE ROLE duban_department NOLOGIN'
    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'duban_department') \gexec
SELECT 'CREATE ROLE duban_viewer NOLOGIN'
    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'duban_viewer') \gexec

-- The owner: owns the schema, runs migrations, the notify timer and backups, and creates the people's
-- login roles for coordinators (through duban_create_login, SECURITY DEFINER). CREATEROLE for that; no
-- superuser. No password here: peer (or certificate) authentication, see pg_hba.conf.example.
SELECT format('CREATE ROLE %I LOGIN CREATEROLE', :'owner')
    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner') \gexec
-- PostgreSQL 16 and later: creating a member of a group needs ADMIN OPTION on the group
SELECT format('GRANT duban_coordinator, duban_department, duban_viewer TO %I WITH ADMIN OPTION', :'owner') \gexec

SELECT format('CREATE DATABASE %I OWNER %I ENCODING ''UTF8'' TEMPLATE template0', :'db', :'owner')
    WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec

-- Only the logins duban user add creates may connect (it grants CONNECT to each); no temporary tables.
SELECT format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', :'db') \gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', :'db', :'owner') \gexec

\connect :"db"
-- The owner owns the schema; nobody else creates objects in it.
SELECT format('ALTER SCHEMA public OWNER TO %I', :'owner') \gexec
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
