import { useId } from 'react';
import { useTheme, type ThemeChoice } from '../lib/theme.ts';

/** Light, dark or the system's setting; kept in this browser. */
export function ThemeToggle({ className }: { className?: string }) {
  const [choice, setChoice] = useTheme();
  const id = useId();
  return (
    <div className={`theme-toggle${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>Theme</label>
      <select
        id={id}
        value={choice}
        onChange={(e) => setChoice(e.target.value as ThemeChoice)}
        data-testid="theme-toggle"
      >
        <option value="system">System</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </div>
  );
}
