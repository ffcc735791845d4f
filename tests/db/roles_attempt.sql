-- roles_attempt.sql - tests/db's helper for roles.sql, created by the superuser in the database
-- under test: hyoka_test.attempt(SQL) runs SQL as the calling role and says what happened,
-- 'denied' (SQLSTATE 42501, insufficient_privilege), 'allowed' or 'SQLSTATE: message'. Whatever
-- SQL did is rolled back (its subtransaction ends in an exception either way), so a check that
-- fails changes nothing either.
CREATE SCHEMA hyoka_test;
GRANT USAGE ON SCHEMA hyoka_test TO PUBLIC;

CREATE FUNCTION hyoka_test.attempt(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        EXECUTE sql;
        RAISE EXCEPTION USING ERRCODE = 'HY000', MESSAGE = 'allowed';
    EXCEPTION
        WHEN insufficient_privilege THEN
            RETURN 'denied';
        WHEN SQLSTATE 'HY000' THEN
            RETURN 'allowed';
        WHEN OTHERS THEN
            RETURN SQLSTATE || ': ' || SQLERRM;
    END;
END;
$$;
