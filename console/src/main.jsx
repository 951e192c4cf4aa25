// The console's entry: styles, then the shell, which loads each page's module when the page opens.
import { render } from 'preact';
import './styles.css';
import { App } from './app.jsx';

const root = document.getElementById('app');
root.textContent = '';  // the page's own "Loading" line
render(<App />, root);
