// Being built.
export default function Page() {
  return <p>The siprems page is being built.</p>;
}
