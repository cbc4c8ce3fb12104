using System.CommandLine;
using System.CommandLine.Parsing;

namespace MmProxy.Cli;

/// <summary>
/// <c>--config FILE</c>: listeners from a JSON file instead of the flags. The listener flags
/// (-l, -4, -6, -p, --allowed-subnets, ...) describe one listener and cannot be combined with it:
/// that is a usage error naming the flag, rather than guessing which of the two wins. Process-wide
/// flags (-v, --log-format, --metrics, --quiet) combine with it.
/// </summary>
internal sealed class ConfigCommandLine
{
    public ConfigCommandLine()
    {
        Config = new Option<string?>("--config")
        {
            Description = "Read the listeners from this JSON file (several TCP/UDP listeners, port ranges; SIGHUP reloads it). " +
                "Not combinable with the listener flags (-l, -4, -6, -p, --allowed-subnets, ...); -v, --log-format, --metrics and --quiet still apply",
            HelpName = "FILE",
        };
    }

    public Option<string?> Config { get; }

    public void AddTo(Command command, ProxyCommandLine proxy)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(proxy);
        command.Options.Add(Config);
        command.Validators.Add(result => Validate(result, proxy));
    }

    private void Validate(CommandResult result, ProxyCommandLine proxy)
    {
        if (result.GetResult(Config) is not { Implicit: false } config)
        {
            return;
        }

        if (config.Tokens.Count == 0 || string.IsNullOrEmpty(config.Tokens[^1].Value))
        {
            result.AddError("--config: a file name is required");
            return;
        }

        foreach (Option option in proxy.All)
        {
            if (option == proxy.Verbose || option == proxy.LogFormat)
            {
                continue;
            }

            if (result.GetResult(option) is { Implicit: false } given)
            {
                string name = given.IdentifierToken?.Value ?? option.Name;
                result.AddError($"{name} cannot be combined with --config: set it per listener in the file instead (see README, \"Configuration file\")");
            }
        }
    }
}
