// Every account, newest first: promote a user to admin or demote them back, deactivate them (their tokens stop
// working at their next request) or activate them again. The signed-in admin's own row has no buttons, so no one
// locks themselves out.
import { api, query } from '../api.js';
import { useResource } from '../hooks.js';
import { navigate } from '../router.js';
import { Badge, Empty, Loading, Pager, ProblemBanner, Section, TableWrap, Time } from '../ui.jsx';
import { Outcome, useActions } from './operations-parts.jsx';

const PER_PAGE = 20;

function UserActions({ account, actions }) {
  const change = (body, confirmation, notice) => {
    if (confirmation && !confirm(confirmation)) return;
    actions.run(account.id, async () => {
      await api('PATCH', `/api/v1/admin/users/${encodeURIComponent(account.id)}`, { body });
      return notice;
    });
  };
  const promote = account.role !== 'admin';
  return (
    <div class="row" style={{ gap: '0.4rem', flexWrap: 'nowrap' }}>
      <button type="button" disabled={actions.busy !== null}
              aria-label={promote ? `Promote ${account.email} to admin` : `Demote ${account.email} to user`}
              onClick={() => change({ role: promote ? 'admin' : 'user' },
                                    promote && `Make ${account.email} an admin? They can then do all that you can.`,
                                    `${account.email} is now ${promote ? 'an admin' : 'a user'}.`)}>
        {promote ? 'Promote' : 'Demote'}
      </button>
      <button type="button" class={account.active ? 'danger' : undefined} disabled={actions.busy !== null}
              aria-label={`${account.active ? 'Deactivate' : 'Activate'} ${account.email}`}
              onClick={() => change({ active: !account.active },
                                    account.active && `Deactivate ${account.email}? They are signed out at once.`,
                                    `${account.email} is ${account.active ? 'deactivated' : 'active again'}.`)}>
        {account.active ? 'Deactivate' : 'Activate'}
      </button>
    </div>
  );
}

export default function Users({ route, user }) {
  const page = Number(route.query.page ?? 1);
  const list = useResource(() => api('GET', '/api/v1/admin/users' + query({ page, per_page: PER_PAGE })), [page]);
  const actions = useActions(list.reload);
  const items = list.data?.items ?? [];
  return (
    <Section title="Users">
      <ProblemBanner problem={list.error} />
      <Outcome outcome={actions.outcome} />
      {list.loading && !list.data ? (
        <Loading what="users" />
      ) : items.length === 0 ? (
        <Empty>No users.</Empty>
      ) : (
        <TableWrap label="Users">
          <table style={{ minWidth: '40rem' }}>
            <thead>
              <tr><th>User</th><th>Role</th><th>Status</th><th>Joined</th><th><span class="visually-hidden">Actions</span></th></tr>
            </thead>
            <tbody>
              {items.map((account) => (
                <tr key={account.id} data-user={account.email}>
                  <td>
                    <strong>{account.name}</strong>
                    {account.name !== account.email && <div class="muted">{account.email}</div>}
                  </td>
                  <td>{account.role}</td>
                  <td>
                    <Badge value={account.active ? 'active' : 'inactive'} />{' '}
                    {!account.email_verified && <span class="muted">not verified</span>}
                  </td>
                  <td><Time iso={account.created_at} /></td>
                  <td>{account.id === user.id ? <span class="muted">you</span> : <UserActions account={account} actions={actions} />}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {list.data && <Pager page={page} perPage={PER_PAGE} total={list.data.total} onPage={(p) => navigate('/operations/users', { page: p })} />}
    </Section>
  );
}
