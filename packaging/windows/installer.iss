; Inno Setup script: a per-user installer for the PyInstaller folder (NOT RUN HERE: written on
; Linux; the CI workflow builds it on windows-latest with Inno Setup 6).
;
;   pyinstaller packaging/windows/screen-assistant.spec --noconfirm
;   iscc /DAppVersion=0.1.0 packaging\windows\installer.iss
;
; Per-user: no administrator rights, installs into %LOCALAPPDATA%\Programs\Screen Assistant
; (the way BasiliskLLM and other accessible apps install), so users on managed or shared
; computers can install it. The installer's own pages are standard Windows dialogs that NVDA,
; JAWS and Narrator read.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Screen Assistant"
#define AppExe "ScreenAssistant.exe"
#define SourceDir "..\..\dist\ScreenAssistant"

[Setup]
AppId={{6F4C2B1E-5D0A-4C8E-9B7A-3E2F1D0C9B8A}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Screen Assistant contributors
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=ScreenAssistant-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
DisableProgramGroupPage=yes
UninstallDisplayIcon={app}\{#AppExe}

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; GroupDescription: "Shortcuts:"; Flags: unchecked
Name: "startup"; Description: "Start Screen Assistant when I sign in (its hotkeys work only while it runs)"; GroupDescription: "Start-up:"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "{#AppName}"; ValueData: """{app}\{#AppExe}"""; Flags: uninsdeletevalue; Tasks: startup

[Run]
Filename: "{app}\{#AppExe}"; Description: "Start {#AppName} now"; Flags: nowait postinstall skipifsilent

