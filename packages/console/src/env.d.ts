// Vite turns CSS imports into stylesheet files.
declare module '*.css';
