namespace MmProxy.Cli;

/// <summary>
/// Rewrites Go flag syntax into the canonical spelling System.CommandLine parses, so mmproxy is a
/// drop-in for go-mmproxy: Go accepts <c>-flag value</c>, <c>--flag value</c>, <c>-flag=value</c>
/// and <c>--flag=value</c> for every flag, single-letter or not, and the last of repeated flags
/// wins. After rewriting, single-letter flags are <c>-x</c>, longer ones <c>--name</c>, values are
/// separate tokens, and each option appears once. Values are copied verbatim (never
/// reinterpreted), and everything after <c>--</c> is left alone.
/// </summary>
internal static class GoFlagNormalizer
{
    private static readonly HashSet<string> ValueFlags = new(StringComparer.Ordinal)
    {
        // go-mmproxy
        "l", "4", "6", "p", "v", "allowed-subnets", "listeners", "mark", "close-after",
        // mmproxy-rs
        "a", "c", "m", "ipv4", "ipv6", "listen-addr", "protocol",
        // ours
        "header-timeout", "max-header-size", "connect-timeout", "idle-timeout", "backlog", "log-format", "max-udp-flows",
    };

    // Names of one option (go-mmproxy's and mmproxy-rs's), for "the last one wins".
    private static readonly Dictionary<string, string> SameOption = new(StringComparer.Ordinal)
    {
        ["listen-addr"] = "l",
        ["ipv4"] = "4",
        ["ipv6"] = "6",
        ["protocol"] = "p",
        ["a"] = "allowed-subnets",
        ["c"] = "close-after",
        ["m"] = "mark",
    };

    private static readonly Dictionary<string, string> SwitchFlags = new(StringComparer.Ordinal)
    {
        ["h"] = "--help",
        ["help"] = "--help",
        ["version"] = "--version",
        ["V"] = "--version",
    };

    /// <param name="args">The process arguments.</param>
    /// <param name="subcommands">Names of subcommands: arguments starting with one are not rewritten.</param>
    public static string[] Normalize(IReadOnlyList<string> args, IReadOnlyCollection<string>? subcommands = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Count > 0 && subcommands is not null && subcommands.Contains(args[0]))
        {
            return [.. args];
        }

        var result = new List<string>(args.Count + 4);
        var lastIndexOfOption = new Dictionary<string, int>(StringComparer.Ordinal);
        var superseded = new HashSet<int>();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--")
            {
                for (; i < args.Count; i++)
                {
                    result.Add(args[i]);
                }

                break;
            }

            if (!TrySplitFlag(arg, out string name, out string? value))
            {
                result.Add(arg);
                continue;
            }

            if (ValueFlags.Contains(name))
            {
                string key = SameOption.GetValueOrDefault(name, name);
                if (lastIndexOfOption.TryGetValue(key, out int previous))
                {
                    superseded.Add(previous);
                }

                lastIndexOfOption[key] = result.Count;
                result.Add(Canonical(name));
                if (value is not null)
                {
                    result.Add(value);
                }
                else if (i + 1 < args.Count)
                {
                    // The next token is this flag's value whatever it looks like ("-v -1" is an
                    // invalid level, not a flag), as in Go.
                    result.Add(args[++i]);
                }
            }
            else if (value is null && SwitchFlags.TryGetValue(name, out string? canonical))
            {
                result.Add(canonical);
            }
            else
            {
                // Unknown: leave as given so the parser reports exactly what the user typed.
                result.Add(arg);
            }
        }

        if (superseded.Count == 0)
        {
            return [.. result];
        }

        // Drop earlier occurrences (flag and value) of options given again later.
        var kept = new List<string>(result.Count);
        for (int i = 0; i < result.Count; i++)
        {
            if (superseded.Contains(i))
            {
                i++;
                continue;
            }

            kept.Add(result[i]);
        }

        return [.. kept];
    }

    private static string Canonical(string name) => name.Length == 1 ? "-" + name : "--" + name;

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
}
