using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using MmProxy.Cli;
using MmProxy.Configuration;
using MmProxy.Hosting;

namespace MmProxy.Routing;

/// <summary>
/// `mmproxy check [proxy flags] [--table N] [--tproxy PORTS --to PORT]` and
/// `mmproxy routing apply|remove|print [--table N] [--mark N] [--tproxy PORTS --to PORT [-p tcp|udp|both]]`.
/// Exit status 0 when everything passed, 1 when a check or a step failed.
/// </summary>
internal static class RoutingCommands
{
    public static Command CreateCheckCommand()
    {
        var proxyFlags = new ProxyCommandLine();
        var command = new Command("check",
            "Checks what the proxy needs, with the same flags as the proxy: IP_TRANSPARENT, the return route for " +
            "spoofed sources (192.0.2.1, 2001:db8::1), and that each target answers a plain and a spoofed connect; " +
            "with --tproxy PORTS --to PORT also the nft table and fwmark route `routing apply` adds for it (-p: which protocol). " +
            "Prints OK or FAILED with the command that fixes it; exits 1 when a check fails.");
        proxyFlags.AddTo(command);
        var tproxy = new TproxyOptions(withProtocol: false);
        tproxy.AddTo(command);
        AddGoStyleAliases(command);
        Option<int> table = TableOption();
        command.Options.Add(table);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            ProxyOptions options = proxyFlags.ToProxyOptions(parseResult);
            TextWriter output = parseResult.InvocationConfiguration.Output;
            TproxyProtocols protocols = options.Protocol == TransportProtocol.Udp ? TproxyProtocols.Udp : TproxyProtocols.Tcp;
            var recipe = new RoutingRecipe(parseResult.GetValue(table), options.Mark, tproxy.ToSpec(parseResult, protocols));
            var checks = new RoutingChecks(new IpCommand(), recipe, IpCommand.Nft());
            IReadOnlyList<CheckResult> results = await ProxyChecks.RunAllAsync(options, checks, cancellationToken).ConfigureAwait(false);
            foreach (CheckResult result in results)
            {
                await output.WriteLineAsync(result.ToString()).ConfigureAwait(false);
            }

            return ProxyChecks.AllPassed(results) ? ExitCodes.Success : ExitCodes.Failure;
        });
        return command;
    }

    public static Command CreateRoutingCommand()
    {
        var command = new Command("routing",
            "Installs (apply), removes (remove) or prints (print) the policy routing that returns the service's replies " +
            "to spoofed client addresses through loopback, for IPv4 and IPv6; with --tproxy PORTS --to PORT also the nft table " +
            "(inet mmproxy) that diverts those ports to the transparent listener and the fwmark rule that delivers them. " +
            "apply and remove are idempotent.");
        command.Subcommands.Add(CreateRoutingAction("apply", "Adds the rules and routes that are missing"));
        command.Subcommands.Add(CreateRoutingAction("remove", "Removes the rules and routes (only ours; the rest of the table is left alone)"));
        command.Subcommands.Add(CreateRoutingAction("print", "Prints the `ip` (and `nft`) commands apply would run"));
        return command;
    }

    private static Command CreateRoutingAction(string verb, string description)
    {
        var command = new Command(verb, description);
        Option<int> table = TableOption();
        var mark = new Option<long>("--mark", "-mark", "-m")
        {
            Description = "Also route packets with this fwmark (the proxy's --mark) through the table; 0 = none",
            HelpName = "N",
            DefaultValueFactory = _ => 0,
            CustomParser = r => ParseNumber(r, 0, uint.MaxValue, null),
        };
        command.Options.Add(table);
        command.Options.Add(mark);
        var tproxy = new TproxyOptions(withProtocol: true);
        tproxy.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var recipe = new RoutingRecipe(parseResult.GetValue(table), (uint)parseResult.GetValue(mark), tproxy.ToSpec(parseResult));
            TextWriter output = parseResult.InvocationConfiguration.Output;
            var tables = new RoutingTables(new IpCommand(), IpCommand.Nft());
            bool ok = verb switch
            {
                "apply" => await tables.ApplyAsync(recipe, output, cancellationToken).ConfigureAwait(false),
                "remove" => await tables.RemoveAsync(recipe, output, cancellationToken).ConfigureAwait(false),
                _ => await PrintAsync(recipe, output).ConfigureAwait(false),
            };
            return ok ? ExitCodes.Success : ExitCodes.Failure;
        });
        return command;
    }

    private static async Task<bool> PrintAsync(RoutingRecipe recipe, TextWriter output)
    {
        await RoutingTables.PrintAsync(recipe, output).ConfigureAwait(false);
        return true;
    }

    private static Option<int> TableOption() => new("--table", "-table")
    {
        Description = "Routing table number for the local routes",
        HelpName = "N",
        DefaultValueFactory = _ => RoutingRecipe.DefaultTable,
        CustomParser = r => (int)ParseNumber(r, 1, int.MaxValue, "253, 254 and 255 are the kernel's default, main and local tables"),
    };

    private static long ParseNumber(ArgumentResult result, long min, long max, string? reservedNote)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
        if (!SettingOptions.TryParseGoInteger(text, out long value) || value < min || value > max)
        {
            result.AddError($"invalid value '{text}': expected an integer from {min} to {max}");
            return min;
        }

        if (reservedNote is not null && value is 253 or 254 or 255)
        {
            result.AddError($"invalid table {value.ToString(CultureInfo.InvariantCulture)}: {reservedNote}");
            return min;
        }

        return value;
    }

    /// <summary>go-mmproxy spells every flag with one dash (-mark 5): accept that in `check` too.</summary>
    private static void AddGoStyleAliases(Command command)
    {
        foreach (Option option in command.Options)
        {
            var names = new List<string> { option.Name };
            names.AddRange(option.Aliases);
            foreach (string name in names)
            {
                if (name.StartsWith("--", StringComparison.Ordinal) && name.Length > 3)
                {
                    string single = name[1..];
                    if (!names.Contains(single))
                    {
                        option.Aliases.Add(single);
                    }
                }
            }
        }
    }
}
