namespace MmProxy.Configuration.Settings;

/// <summary>Which listeners a setting applies to: the receiving side, the sending side (<c>mmproxy send</c>), or both.</summary>
[Flags]
internal enum SettingRoles
{
    Receive = 1,
    Send = 2,
    Both = Receive | Send,
}
