// Signing in, signing up with the e-mailed code, and resetting a forgotten password.
import { useState } from 'preact/hooks';
import { api, session } from '../api.js';
import { navigate } from '../router.js';
import { Field, ProblemBanner, useSubmit } from '../ui.jsx';

export function SignIn({ route }) {
  const form = useSubmit(async ({ email, password }) => {
    try {
      await session.signIn(email, password);
      navigate('/tasks');
    } catch (error) {
      // An account whose e-mail is not verified yet goes on to the code.
      if (error.status === 403 && /verif/i.test(error.message)) navigate('/verify', { email });
      else throw error;
    }
  });
  return (
    <div class="card narrow">
      <h1>Sign in</h1>
      {route.query.verified && <p class="notice" role="status">Your e-mail is verified. Sign in to go on.</p>}
      {route.query.reset && <p class="notice" role="status">Your password is changed. Sign in with it.</p>}
      <form onSubmit={form.onSubmit}>
        <Field label="E-mail" name="email" type="email" autocomplete="username" required defaultValue={route.query.email} />
        <Field label="Password" name="password" type="password" autocomplete="current-password" required />
        <ProblemBanner problem={form.problem} />
        <button class="primary" disabled={form.busy}>Sign in</button>
      </form>
      <p>
        New here? <a href="#/sign-up">Create an account</a>. Forgot the password? <a href="#/reset">Reset it</a>.
      </p>
    </div>
  );
}

export function SignUp() {
  const form = useSubmit(async (values) => {
    const user = await api('POST', '/api/v1/auth/register', { body: values, auth: false });
    if (user.email_verified) navigate('/sign-in', { email: user.email });
    else navigate('/verify', { email: user.email });
  });
  const error = (name) => form.problem?.field?.(name);
  return (
    <div class="card narrow">
      <h1>Create an account</h1>
      <form onSubmit={form.onSubmit} noValidate>
        <Field label="Name" name="name" autocomplete="name" required error={error('name')} />
        <Field label="E-mail" name="email" type="email" autocomplete="email" required error={error('email')} />
        <Field label="Password" name="password" type="password" autocomplete="new-password" required minLength={10}
               hint="10 to 256 characters" error={error('password')} />
        <ProblemBanner problem={form.problem} shown={['name', 'email', 'password']} />
        <button class="primary" disabled={form.busy}>Create the account</button>
      </form>
      <p>
        Have an account? <a href="#/sign-in">Sign in</a>.
      </p>
    </div>
  );
}

export function Verify({ route }) {
  const email = route.query.email ?? '';
  const [resent, setResent] = useState(false);
  const form = useSubmit(async (values) => {
    await api('POST', '/api/v1/auth/verify', { body: { email: values.email, otp: values.otp.trim() }, auth: false });
    navigate('/sign-in', { email: values.email, verified: 1 });
  });
  const resend = async () => {
    form.setProblem(null);
    try {
      await api('POST', '/api/v1/auth/otp/resend', { body: { email }, auth: false });
      setResent(true);
    } catch (error) {
      form.setProblem(error);
    }
  };
  return (
    <div class="card narrow">
      <h1>Check your e-mail</h1>
      <p>We sent a six-digit code to <strong>{email || 'your address'}</strong>. It is good for ten minutes.</p>
      <form onSubmit={form.onSubmit} noValidate>
        <Field label="E-mail" name="email" type="email" autocomplete="email" defaultValue={email} required
               error={form.problem?.field?.('email')} />
        <Field label="Code" name="otp" inputMode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required
               error={form.problem?.field?.('otp')} />
        <ProblemBanner problem={form.problem} shown={['email', 'otp']} />
        <div class="row">
          <button class="primary" disabled={form.busy}>Verify</button>
          <button type="button" onClick={resend} disabled={!email}>Send a new code</button>
        </div>
        {resent && <p role="status">A new code is on its way.</p>}
      </form>
    </div>
  );
}

export function Reset({ route }) {
  const [email, setEmail] = useState(route.query.email ?? '');
  const [sent, setSent] = useState(false);
  const ask = useSubmit(async (values) => {
    await api('POST', '/api/v1/auth/password/forgot', { body: { email: values.email }, auth: false });
    setEmail(values.email);
    setSent(true);
  });
  const reset = useSubmit(async (values) => {
    await api('POST', '/api/v1/auth/password/reset',
              { body: { email, otp: values.otp.trim(), password: values.password }, auth: false });
    navigate('/sign-in', { email, reset: 1 });
  });
  return (
    <div class="card narrow">
      <h1>Reset the password</h1>
      {!sent ? (
        <form onSubmit={ask.onSubmit} noValidate>
          <Field label="E-mail" name="email" type="email" autocomplete="email" required defaultValue={email}
                 error={ask.problem?.field?.('email')} />
          <ProblemBanner problem={ask.problem} shown={['email']} />
          <button class="primary" disabled={ask.busy}>Mail me a code</button>
        </form>
      ) : (
        <form onSubmit={reset.onSubmit} noValidate>
          <p role="status">If {email} has an account, a code is on its way.</p>
          <Field label="Code" name="otp" inputMode="numeric" autocomplete="one-time-code" required
                 error={reset.problem?.field?.('otp')} />
          <Field label="New password" name="password" type="password" autocomplete="new-password" required
                 hint="10 to 256 characters" error={reset.problem?.field?.('password')} />
          <ProblemBanner problem={reset.problem} shown={['otp', 'password']} />
          <button class="primary" disabled={reset.busy}>Set the password</button>
        </form>
      )}
      <p>
        <a href="#/sign-in">Back to sign in</a>
      </p>
    </div>
  );
}
