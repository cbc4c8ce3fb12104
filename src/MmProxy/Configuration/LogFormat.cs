namespace MmProxy.Configuration;

/// <summary>Console log output format (<c>--log-format</c>).</summary>
internal enum LogFormat
{
    Text,
    Json,
}
