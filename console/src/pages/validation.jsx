// Being built.
export default function Page() {
  return <p>The validation page is being built.</p>;
}
