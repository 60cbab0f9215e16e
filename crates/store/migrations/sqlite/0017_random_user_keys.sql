-- Users and groups get random keys from the store layer (their Keystone ids are spelled from the
-- key, and must not be counted); rows made before keep theirs. SQLite takes a given key in an
-- INTEGER PRIMARY KEY column as it is: nothing to change but the record of this step.
SELECT 1;
