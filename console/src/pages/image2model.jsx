// Being built.
export default function Page() {
  return <p>The image2model page is being built.</p>;
}
