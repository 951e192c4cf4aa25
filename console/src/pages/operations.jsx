// Being built.
export default function Page() {
  return <p>The operations page is being built.</p>;
}
