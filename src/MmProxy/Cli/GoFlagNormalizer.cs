using System.CommandLine;

namespace MmProxy.Cli;

/// <summary>
/// Rewrites Go flag syntax into the spelling System.CommandLine parses, so mmproxy is a drop-in for
/// go-mmproxy: Go accepts <c>-flag value</c>, <c>--flag value</c>, <c>-flag=value</c> and
/// <c>--flag=value</c> for every flag, single-letter or not, and the last of repeated flags wins.
/// The table comes from the command's own options, so every option (ours, go-mmproxy's,
/// mmproxy-rs's, other areas') gets all four spellings. After rewriting, each option appears once,
/// by its canonical name, with its value as a separate token. Values are copied verbatim (never
/// reinterpreted), unknown flags are left for the parser to report, and everything after
/// <c>--</c> is left alone, as are the arguments of subcommands.
/// </summary>
internal sealed class GoFlagNormalizer
{
    private readonly Dictionary<string, Flag> _flags = new(StringComparer.Ordinal);
    private readonly HashSet<string> _subcommands = new(StringComparer.Ordinal);

    public GoFlagNormalizer(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (Option option in command.Options)
        {
            bool isSwitch = option.ValueType == typeof(bool) || option.Arity.MaximumNumberOfValues == 0;
            var flag = new Flag(option, option.Name, isSwitch);
            Add(option.Name, flag);
            foreach (string alias in option.Aliases)
            {
                Add(alias, flag);
            }
        }

        // Go's own help flag spelling and mmproxy-rs's -V.
        if (_flags.TryGetValue("help", out Flag? help))
        {
            _flags.TryAdd("h", help);
        }

        if (_flags.TryGetValue("version", out Flag? version))
        {
            _flags.TryAdd("V", version);
        }

        foreach (Command sub in command.Subcommands)
        {
            _subcommands.Add(sub.Name);
            foreach (string alias in sub.Aliases)
            {
                _subcommands.Add(alias);
            }
        }
    }

    public string[] Normalize(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Count > 0 && _subcommands.Contains(args[0]))
        {
            return [.. args];
        }

        // (tokens of one occurrence, the option it sets or null)
        var items = new List<(string[] Tokens, Option? Option)>(args.Count);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--")
            {
                items.Add(([.. args.Skip(i)], null));
                break;
            }

            if (!TrySplitFlag(arg, out string name, out string? value) || !_flags.TryGetValue(name, out Flag? flag))
            {
                // Unknown: leave as given so the parser reports exactly what the user typed.
                items.Add(([arg], null));
                continue;
            }

            if (value is not null)
            {
                items.Add(([flag.Canonical, value], flag.Option));
            }
            else if (!flag.IsSwitch && i + 1 < args.Count)
            {
                // The next token is this flag's value whatever it looks like ("-v -1" is an
                // invalid level, not a flag), as in Go.
                items.Add(([flag.Canonical, args[++i]], flag.Option));
            }
            else
            {
                items.Add(([flag.Canonical], flag.Option));
            }
        }

        // The last occurrence of an option wins; earlier ones are dropped with their values.
        var seen = new HashSet<Option>();
        var kept = new List<string[]>(items.Count);
        for (int i = items.Count - 1; i >= 0; i--)
        {
            (string[] tokens, Option? option) = items[i];
            if (option is null || seen.Add(option))
            {
                kept.Add(tokens);
            }
        }

        kept.Reverse();
        return [.. kept.SelectMany(t => t)];
    }

    private void Add(string alias, Flag flag)
    {
        if (alias.StartsWith('-'))
        {
            _flags.TryAdd(alias.TrimStart('-'), flag);
        }
    }

    private static bool TrySplitFlag(string arg, out string name, out string? value)
    {
        name = string.Empty;
        value = null;
        int dashes = arg.StartsWith("--", StringComparison.Ordinal) ? 2 : arg.StartsWith('-') ? 1 : 0;
        if (dashes == 0 || arg.Length == dashes)
        {
            return false;
        }

        ReadOnlySpan<char> body = arg.AsSpan(dashes);
        int equals = body.IndexOf('=');
        if (equals == 0)
        {
            return false;
        }

        if (equals > 0)
        {
            name = body[..equals].ToString();
            value = body[(equals + 1)..].ToString();
        }
        else
        {
            name = body.ToString();
        }

        return true;
    }

    private sealed record Flag(Option Option, string Canonical, bool IsSwitch);
}
