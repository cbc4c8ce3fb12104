using System.Globalization;
using MmProxy.Routing;

namespace MmProxy.Tests.Routing;

/// <summary>
/// The kernel state `ip` and `nft` would show, in memory, behind two fake <see cref="ICommandRunner"/>s
/// (<see cref="Ip"/>, <see cref="Nft"/>) that answer like iproute2 and nftables do (listings,
/// "File exists", "FIB table does not exist", nft's transaction on stdin), so the idempotence and
/// ordering logic is tested without root. <see cref="Calls"/> records every command line.
/// </summary>
internal sealed class FakeNetwork
{
    private int _priority = 32766;

    public FakeNetwork()
    {
        Ip = new Runner(this, "ip");
        Nft = new Runner(this, "nft");
    }

    public ICommandRunner Ip { get; }

    public ICommandRunner Nft { get; }

    public List<string> Calls { get; } = [];

    /// <summary>Rules as `ip rule show` prints them after the priority: (family flag, table, text, priority).</summary>
    public List<(string Family, int Table, string Text, int Priority)> Rules { get; } = [];

    /// <summary>Routes as `ip route show table N` prints them: (family flag, table, text).</summary>
    public List<(string Family, int Table, string Text)> Routes { get; } = [];

    /// <summary>Our nft chain as nft stores it (its "type" line first); null: no table inet mmproxy.</summary>
    public List<string>? NftChain { get; set; }

    /// <summary>`nft` is not installed.</summary>
    public bool NftMissing { get; set; }

    /// <summary>The next `nft -f -` fails with this error.</summary>
    public string? NftScriptError { get; set; }

    /// <summary>The commands that changed something (add, del, delete, -f), in order.</summary>
    public IEnumerable<string> Changes => Calls.Where(c => c.Contains(" add ", StringComparison.Ordinal) || c.Contains(" del ", StringComparison.Ordinal)
        || c.StartsWith("nft delete", StringComparison.Ordinal) || c.StartsWith("nft -f", StringComparison.Ordinal));

    private IpCommandResult RunIp(IReadOnlyList<string> a, string line)
    {
        string family = a[0];
        int table = int.Parse(a[^1], CultureInfo.InvariantCulture);
        string[] selector = [.. a.Skip(3).Take(a.Count - 5)];
        if (a[1] == "rule")
        {
            string text = a[2] == "show" ? string.Empty : RuleText(family, selector, table);
            switch (a[2])
            {
                case "show":
                    return Ok(line, string.Concat(Rules.Where(r => r.Family == family && r.Table == table).OrderBy(r => r.Priority)
                        .Select(r => $"{r.Priority}:\t{r.Text}\n")));
                case "add":
                    Rules.Add((family, table, text, --_priority));
                    return Ok(line, string.Empty);
                default:
                    int index = Rules.FindIndex(r => r.Family == family && r.Table == table && r.Text == text);
                    if (index < 0)
                    {
                        return Fail(line, 2, "RTNETLINK answers: No such file or directory");
                    }

                    Rules.RemoveAt(index);
                    return Ok(line, string.Empty);
            }
        }

        string route = family == "-6" ? "local default dev lo metric 1024 pref medium" : "local default dev lo scope host";
        bool present = Routes.Contains((family, table, route));
        switch (a[2])
        {
            case "show":
                return Routes.Any(r => r.Family == family && r.Table == table)
                    ? Ok(line, string.Concat(Routes.Where(r => r.Family == family && r.Table == table).Select(r => r.Text + "\n")))
                    : Fail(line, 2, $"Error: ipv{(family == "-6" ? 6 : 4)}: FIB table does not exist.\nDump terminated");
            case "add" when present:
                return Fail(line, 2, "RTNETLINK answers: File exists");
            case "add":
                Routes.Add((family, table, route));
                return Ok(line, string.Empty);
            default:
                return Routes.Remove((family, table, route)) ? Ok(line, string.Empty) : Fail(line, 2, "RTNETLINK answers: No such process");
        }
    }

    private IpCommandResult RunNft(IReadOnlyList<string> a, string? input, string line)
    {
        if (NftMissing)
        {
            return Fail(line, -1, "cannot run nft: No such file or directory (install nftables)");
        }

        if (a[0] == "list")
        {
            return NftChain is null
                ? Fail(line, 1, "Error: No such file or directory\nlist table inet mmproxy\n                ^^^^^^^")
                : Ok(line, "table inet mmproxy {\n\tchain prerouting {\n" + string.Concat(NftChain.Select(l => "\t\t" + l + "\n")) + "\t}\n}\n");
        }

        if (a[0] == "delete")
        {
            if (NftChain is null)
            {
                return Fail(line, 1, "Error: Could not process rule: No such file or directory");
            }

            NftChain = null;
            return Ok(line, string.Empty);
        }

        if (NftScriptError is not null)
        {
            return Fail(line, 1, NftScriptError);
        }

        // One transaction: applied to a copy, committed at the end.
        List<string>? chain = NftChain is null ? null : [.. NftChain];
        foreach (string command in input!.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            const string Rule = "add rule inet mmproxy prerouting ";
            if (command == "add table inet mmproxy")
            {
                chain ??= [];
            }
            else if (command == "delete table inet mmproxy")
            {
                chain = chain is null ? throw new InvalidOperationException("delete of an absent table") : null;
            }
            else if (command.StartsWith("add chain inet mmproxy prerouting { ", StringComparison.Ordinal))
            {
                chain!.Add(command["add chain inet mmproxy prerouting { ".Length..^2]);
            }
            else if (command.StartsWith(Rule, StringComparison.Ordinal))
            {
                // nft prints marks with eight hex digits.
                chain!.Add(command[Rule.Length..].Replace("mark set 0x1 ", "mark set 0x00000001 ", StringComparison.Ordinal));
            }
            else
            {
                return Fail(line, 1, "Error: syntax error in the fake: " + command);
            }
        }

        NftChain = chain;
        return Ok(line, string.Empty);
    }

    private static string RuleText(string family, string[] selector, int table)
    {
        if (selector[0] == "fwmark")
        {
            uint mark = uint.Parse(selector[1], CultureInfo.InvariantCulture);
            return $"from all fwmark 0x{mark.ToString("x", CultureInfo.InvariantCulture)} lookup {table}";
        }

        // ip prints a host prefix without its length.
        string from = family == "-6" && selector[1].EndsWith("/128", StringComparison.Ordinal) ? selector[1][..^4] : selector[1];
        return $"from {from} {string.Join(' ', selector.Skip(2))} lookup {table}";
    }

    private static IpCommandResult Ok(string line, string stdout) => new(line, 0, stdout, string.Empty);

    private static IpCommandResult Fail(string line, int code, string stderr) => new(line, code, string.Empty, stderr);

    private sealed class Runner(FakeNetwork network, string executable) : ICommandRunner
    {
        public Task<IpCommandResult> RunAsync(IReadOnlyList<string> arguments, string? standardInput, CancellationToken cancellationToken)
        {
            string line = IpCommand.Format(executable, arguments);
            network.Calls.Add(line);
            return Task.FromResult(executable == "ip" ? network.RunIp(arguments, line) : network.RunNft(arguments, standardInput, line));
        }
    }
}
