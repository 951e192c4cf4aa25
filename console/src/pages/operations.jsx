// The operations page for admins: health and queues, jobs, models, users and the outbox, one view each at
// #/operations/<view>.
import { Empty, PageHeader, Tabs } from '../ui.jsx';
import Jobs from './operations-jobs.jsx';
import Models from './operations-models.jsx';
import Outbox from './operations-outbox.jsx';
import Overview from './operations-overview.jsx';
import Users from './operations-users.jsx';

// Path segment after /operations -> the view's label and component.
const VIEWS = [
  ['', 'Overview', Overview],
  ['jobs', 'Jobs', Jobs],
  ['models', 'Models', Models],
  ['users', 'Users', Users],
  ['outbox', 'Outbox', Outbox],
];

export default function Operations({ route, user }) {
  const view = route.path.split('/')[2] ?? '';
  const entry = VIEWS.find(([key]) => key === view);
  const View = entry?.[2];
  return (
    <>
      <PageHeader title="Operations" />
      <Tabs label="Operations views" current={view}
            views={VIEWS.map(([key, label]) => [key, label, key ? `#/operations/${key}` : '#/operations'])} />
      {View ? <View route={route} user={user} /> : <Empty>There is no such view.</Empty>}
    </>
  );
}
