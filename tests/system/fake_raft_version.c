/* fake_raft_version: preloaded into wardd by test_datadir.sh, it makes the
 * running C-raft answer raft_version_number() as a later release (0.17.1)
 * would, so that the test sees wardd refuse it. */
int raft_version_number(void);

int raft_version_number(void)
{
	return 1701;
}
