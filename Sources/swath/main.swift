import SwathCLI

SwathCommand.main()
